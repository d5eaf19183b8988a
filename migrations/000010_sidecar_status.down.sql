-- Removes the sidecar status reports (000010); sidecars keep reporting and get
-- an error until the tables are back, which never affects their decisions.
DROP TABLE sidecar_status_samples;
DROP TABLE sidecar_status;
