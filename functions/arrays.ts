/**
 * Appends `items` to `target` in place. `target.push(...items)` passes every item as an
 * argument, and past ~120,000 of them (one hostile webhook request's refused events) the call
 * overflows the stack and throws.
 */
export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) target.push(items[i]!);
}
