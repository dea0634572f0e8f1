DROP TABLE home_feed;
