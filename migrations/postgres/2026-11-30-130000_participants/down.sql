DROP TABLE participants;
