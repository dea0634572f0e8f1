DROP TABLE coalition_join_requests;
