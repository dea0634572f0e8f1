DROP TABLE deliveries;
DROP TABLE activities;
DROP TABLE follows;
DROP TABLE actors;
