//! What operators see of the delivery queue.

use super::ServiceResult;
use crate::model::DeliveryState;
use crate::{context::Kuvend, storage::deliveries::DeliveryListing};

pub async fn list(
    ctx: &Kuvend,
    state: Option<DeliveryState>,
    limit: i64,
) -> ServiceResult<Vec<DeliveryListing>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .list_deliveries(state, limit.clamp(1, 10_000))
        .await?)
}
