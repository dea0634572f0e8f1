//! Notifications and timeline markers.

use super::{Account, Status, iso};
use crate::federation::FedData;
use crate::service::client::NotificationData;
use serde::{Serialize, Serializer};

/// Something that happened to the viewer.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Database id, as a string.
    pub id: String,
    /// `mention`, `status`, `reblog`, `follow`, `follow_request`,
    /// `favourite`, `poll`, `update`, `pleroma:participation_request`,
    /// `kuvend:participation`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened.
    pub created_at: String,
    /// Who caused it.
    pub account: Account,
    /// The post concerned, for post-related types; `null` for the others.
    pub status: Option<Status>,
    /// For `pleroma:participation_request` and `kuvend:participation`: the
    /// message the participant sent with their RSVP, as Rebased gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participation_message: Option<String>,
    /// For `admin.report`: the report about the viewer's organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<super::Report>,
}

impl Notification {
    /// A notification with its account and post as the viewer sees them.
    pub fn new(data: &FedData, notification: &NotificationData) -> Notification {
        Notification {
            id: notification.row.id.to_string(),
            kind: notification.row.kind.clone(),
            created_at: iso(notification.row.created_at),
            account: Account::new(data, &notification.from),
            status: notification.status.as_ref().map(|s| Status::new(data, s)),
            participation_message: notification.participation_message.clone(),
            report: notification
                .report
                .as_ref()
                .map(|(view, target)| super::Report::new(data, view, target)),
        }
    }
}

/// The viewer's position in a timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    /// Id of the last item read.
    pub last_read_id: String,
    /// Incremented on each update, for conflict detection.
    pub version: i64,
    /// When the marker was last set.
    pub updated_at: String,
}

/// The viewer's markers, by timeline (`home`, `notifications`), as one
/// JSON object.
#[derive(Debug, Clone, Default)]
pub struct Markers(
    /// Each timeline's name and marker, in the order they were stored: a
    /// list, not a map, so that the object's keys keep that order.
    pub Vec<(String, Marker)>,
);

impl Serialize for Markers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(timeline, marker)| (timeline, marker)))
    }
}
