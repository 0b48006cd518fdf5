// The seam between list/watch and whatever keeps the objects: client-go's reflector Store, narrowed to what a
// consumer of compact snapshots needs. The Reflector does the protocol work (paging, resume, 410 reconcile,
// unchanged-update suppression, shard filter) and hands a ReflectorStore only the resulting changes, in order.

/** Receives what one Reflector mirrors; called synchronously, after the reflector's own bookkeeping. */
export interface ReflectorStore<S> {
  /** A UID seen for the first time (list or watch). */
  add(uid: string, object: S): void;
  /** A held UID changed (updates equal to the held snapshot are suppressed unless configured otherwise). */
  update(uid: string, object: S, previous: S): void;
  /** A held UID is gone: deleted, missing from a relist, or no longer passing the filter. `object` is the last held. */
  delete(uid: string, object: S): void;
  /**
   * A complete list was applied: `objects` is everything the reflector now holds, and the adds, updates and
   * deletes that got there were delivered just before. A store fed by this one reflector may treat it as
   * client-go's Replace; one shared by several reflectors (one per namespace) must not drop the others' objects.
   */
  replace(objects: ReadonlyMap<string, S>, resourceVersion: string): void;
}
