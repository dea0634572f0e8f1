//! One schema for both backends, in types SQLite and PostgreSQL share.

diesel::table! {
    actors (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        ap_type -> Text,
        username -> Text,
        username_key -> Text,
        domain -> Text,
        local -> Bool,
        display_name -> Text,
        summary -> Text,
        profile_url -> Nullable<Text>,
        icon_url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        following_url -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        manually_approves_followers -> Bool,
        discoverable -> Bool,
        published_at -> Timestamp,
        fetched_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        followee_id -> BigInt,
        state -> Text,
        follow_ap_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Made by a coalition's campaign (undone with it), not by hand.
        by_campaign -> Bool,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        actor_id -> BigInt,
        local -> Bool,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox_url -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        ap_id -> Text,
        ap_type -> Text,
        author_id -> BigInt,
        local -> Bool,
        visibility -> Text,
        content -> Text,
        source -> Nullable<Text>,
        summary -> Nullable<Text>,
        sensitive -> Bool,
        language -> Nullable<Text>,
        url -> Nullable<Text>,
        in_reply_to_ap_id -> Nullable<Text>,
        in_reply_to_id -> Nullable<BigInt>,
        to_json -> Text,
        cc_json -> Text,
        replies_count -> BigInt,
        likes_count -> BigInt,
        boosts_count -> BigInt,
        published_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        written_by_user_id -> Nullable<BigInt>,
        reblog_of_id -> Nullable<BigInt>,
        audience -> Nullable<Text>,
    }
}

diesel::table! {
    events (post_id) {
        post_id -> BigInt,
        name -> Text,
        description -> Text,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        timezone -> Text,
        start_local -> Text,
        end_local -> Nullable<Text>,
        place_name -> Nullable<Text>,
        street_address -> Nullable<Text>,
        locality -> Nullable<Text>,
        country -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        online_url -> Nullable<Text>,
        category -> Nullable<Text>,
        capacity -> Nullable<BigInt>,
        join_mode -> Text,
        external_url -> Nullable<Text>,
        status -> Text,
        previous_start -> Nullable<Timestamp>,
        status_reason -> Nullable<Text>,
        participant_count -> BigInt,
        updated_at -> Timestamp,
        sequence -> BigInt,
        reminder_minutes -> BigInt,
        reminder_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    participants (id) {
        id -> BigInt,
        event_post_id -> BigInt,
        actor_id -> BigInt,
        state -> Text,
        activity_ap_id -> Text,
        activity_kind -> Text,
        message -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rsvp_polls (id) {
        id -> BigInt,
        poll_post_id -> BigInt,
        event_post_id -> BigInt,
        actor_id -> BigInt,
        options -> Text,
        ends_at -> Timestamp,
        vote -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_tags (post_id, tag) {
        post_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    post_mentions (post_id, actor_id) {
        post_id -> BigInt,
        actor_id -> BigInt,
    }
}

diesel::table! {
    reactions (id) {
        id -> BigInt,
        kind -> Text,
        actor_id -> BigInt,
        post_id -> BigInt,
        activity_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instances (domain) {
        domain -> Text,
        failing_since -> Nullable<Timestamp>,
        unavailable -> Bool,
        updated_at -> Timestamp,
        software -> Nullable<Text>,
        software_version -> Nullable<Text>,
        software_checked_at -> Nullable<Timestamp>,
        /// When a delivery last succeeded (to within ten minutes).
        last_success_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        actor_id -> Nullable<BigInt>,
        approved -> Bool,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        instance_admin -> Bool,
    }
}

diesel::table! {
    memberships (user_id, actor_id) {
        user_id -> BigInt,
        actor_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        client_id -> Text,
        client_secret_hash -> Text,
        name -> Text,
        website -> Nullable<Text>,
        redirect_uris -> Text,
        scopes -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        app_id -> BigInt,
        user_id -> BigInt,
        actor_id -> BigInt,
        scopes -> Text,
        redirect_uri -> Text,
        code_challenge -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        app_id -> BigInt,
        user_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        recipient_id -> BigInt,
        kind -> Text,
        from_actor_id -> BigInt,
        post_id -> Nullable<BigInt>,
        dismissed -> Bool,
        created_at -> Timestamp,
        /// For `admin.report`: the report.
        report_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    bookmarks (actor_id, post_id) {
        actor_id -> BigInt,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (actor_id, key) {
        actor_id -> BigInt,
        key -> Text,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    markers (user_id, timeline) {
        user_id -> BigInt,
        timeline -> Text,
        last_read_id -> Text,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    home_feed (owner_id, post_id) {
        owner_id -> BigInt,
        post_id -> BigInt,
    }
}

diesel::table! {
    coalitions (actor_id) {
        actor_id -> BigInt,
        members_visible -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        relay -> Text,
        relay_cap -> BigInt,
    }
}

diesel::table! {
    coalition_relays (id) {
        id -> BigInt,
        coalition_id -> BigInt,
        post_id -> BigInt,
        member_id -> BigInt,
        activity_ap_id -> Text,
        object_shape -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coalition_members (id) {
        id -> BigInt,
        coalition_id -> BigInt,
        member_id -> BigInt,
        role -> Text,
        ap_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coalition_invitations (id) {
        id -> BigInt,
        coalition_id -> BigInt,
        invitee_id -> BigInt,
        inviter_id -> BigInt,
        ap_id -> Text,
        message -> Text,
        state -> Text,
        reason -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    invitation_polls (id) {
        id -> BigInt,
        invitation_id -> BigInt,
        poll_post_id -> BigInt,
        options -> Text,
        vote -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coalition_join_requests (id) {
        id -> BigInt,
        coalition_id -> BigInt,
        requester_id -> BigInt,
        ap_id -> Text,
        message -> Text,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    coalition_threads (coalition_id, original_post_id) {
        coalition_id -> BigInt,
        original_post_id -> BigInt,
        copy_post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(follows -> actors (follower_id));
diesel::joinable!(home_feed -> posts (post_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(oauth_tokens -> oauth_apps (app_id));
diesel::joinable!(posts -> actors (author_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(events -> posts (post_id));
diesel::joinable!(participants -> actors (actor_id));
diesel::joinable!(coalitions -> actors (actor_id));
diesel::joinable!(participants -> posts (event_post_id));
diesel::joinable!(post_mentions -> posts (post_id));
diesel::joinable!(reactions -> posts (post_id));
diesel::joinable!(activities -> actors (actor_id));
diesel::joinable!(deliveries -> activities (activity_id));
diesel::allow_tables_to_appear_in_same_query!(
    actors,
    follows,
    activities,
    deliveries,
    posts,
    events,
    participants,
    rsvp_polls,
    post_tags,
    post_mentions,
    reactions,
    instances,
    users,
    memberships,
    oauth_apps,
    oauth_codes,
    oauth_tokens,
    notifications,
    bookmarks,
    idempotency_keys,
    markers,
    home_feed,
    coalitions,
    coalition_members,
    coalition_invitations,
    invitation_polls,
    coalition_join_requests,
    coalition_threads,
    coalition_relays,
    coalition_campaigns,
    group_posts,
    domain_blocks,
    domain_allows,
    org_follow_policies,
    reports,
    account_blocks,
    blocklist_subscriptions,
    blocklist_suggestions,
    media_attachments,
    media_cache
);

diesel::table! {
    group_posts (group_id, post_id) {
        group_id -> BigInt,
        post_id -> BigInt,
    }
}

diesel::table! {
    coalition_campaigns (coalition_id, tag) {
        coalition_id -> BigInt,
        tag -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domain_blocks (domain) {
        domain -> Text,
        severity -> Text,
        reject_media -> Bool,
        public_comment -> Nullable<Text>,
        private_comment -> Nullable<Text>,
        created_at -> Timestamp,
        source -> Nullable<BigInt>,
    }
}

diesel::table! {
    domain_allows (domain) {
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    org_follow_policies (actor_id) {
        actor_id -> BigInt,
        followers_from -> Text,
    }
}

diesel::joinable!(org_follow_policies -> actors (actor_id));

diesel::table! {
    reports (id) {
        id -> BigInt,
        reporter_actor_id -> BigInt,
        reporter_user_id -> Nullable<BigInt>,
        target_actor_id -> BigInt,
        status_ids -> Text,
        category -> Text,
        comment -> Text,
        forwarded -> Bool,
        flag_ap_id -> Nullable<Text>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_note -> Nullable<Text>,
    }
}

diesel::table! {
    /// What a local account blocks or mutes (see the migration).
    account_blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        kind -> Text,
        target_actor_id -> Nullable<BigInt>,
        subdomain_pattern -> Nullable<Text>,
        target -> Text,
        notifications -> Bool,
        expires_at -> Nullable<Timestamp>,
        activity_ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocklist_subscriptions (id) {
        id -> BigInt,
        url -> Text,
        mode -> Text,
        last_read_at -> Nullable<Timestamp>,
        entries -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocklist_suggestions (subscription_id, domain) {
        subscription_id -> BigInt,
        domain -> Text,
        severity -> Text,
        reject_media -> Bool,
        public_comment -> Nullable<Text>,
        dismissed -> Bool,
    }
}

diesel::table! {
    /// Uploaded and remote attachments (issue 16, see the migration).
    media_attachments (id) {
        id -> BigInt,
        account_id -> BigInt,
        post_id -> Nullable<BigInt>,
        position -> Integer,
        kind -> Text,
        state -> Text,
        file_key -> Nullable<Text>,
        small_key -> Nullable<Text>,
        content_type -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        small_width -> Nullable<Integer>,
        small_height -> Nullable<Integer>,
        size_bytes -> Nullable<BigInt>,
        blurhash -> Nullable<Text>,
        description -> Nullable<Text>,
        focus_x -> Nullable<Double>,
        focus_y -> Nullable<Double>,
        remote_url -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Remote media cached by the proxy (issue 16).
    media_cache (id) {
        id -> BigInt,
        url_hash -> Text,
        url -> Text,
        file_key -> Nullable<Text>,
        small_key -> Nullable<Text>,
        content_type -> Nullable<Text>,
        size_bytes -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        blurhash -> Nullable<Text>,
        fetched_at -> Nullable<Timestamp>,
        last_used_at -> Timestamp,
        failed_at -> Nullable<Timestamp>,
    }
}
