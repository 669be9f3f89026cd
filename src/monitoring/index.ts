/** Monitoring generated from a fleet: no Pulumi here, so every target can use it. */
export * from "./grafana";
export * from "./prometheus";
export * from "./rules";
