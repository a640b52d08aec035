// Pids for scenario processes. Scenario steps are planned before the dataset is written but
// run in time order among benign events that draw from the same pid counter. A pid drawn at
// plan time would sit below every benign pid around the attack: a label a model could learn.

/**
 * A process's pid, taken from `next` when its first line is written and the same for its
 * later lines. A parent that existed before the attack (a web server, a login shell) is
 * drawn the same way, a little below its child as benign parents are (`next` = the draw):
 * a plan-time pid sat tens of thousands below the child, which gave the attack away too.
 */
export function pidAtFirstUse(next: () => number): () => number {
  let pid = 0;
  return () => (pid ||= next());
}
