-- docker-compose: the official postgres image runs this once, on an empty data volume, as
-- POSTGRES_USER (bandian), after creating POSTGRES_DB (bandian, the app's tables).
-- Rasa's tracker store (conversations) gets a database of its own.
CREATE DATABASE bandian_tracker OWNER bandian;
