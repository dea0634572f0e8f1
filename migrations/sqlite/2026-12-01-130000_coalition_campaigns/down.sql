DROP TABLE coalition_campaigns;
