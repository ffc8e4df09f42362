/** The rollout engine shared by every fleet: pure planner, executor, one adapter per target. */
export * from "./fleet-adapter";
export * from "./fleet-state";
export * from "./planner";
export * from "./rollout-error";
export * from "./rollout-policy";
export { refreshState, rollout, stopAll, type RolloutHooks } from "./executor";
export { writeJournal, readJournal, JOURNAL_FILE } from "./fleet-journal";
