DROP TABLE coalition_threads;
