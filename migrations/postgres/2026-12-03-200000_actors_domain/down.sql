DROP INDEX actors_domain;
