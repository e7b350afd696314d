/**
 * What a process keeps loaded of the models it switched away from (an encoder, a graph), by model id, so
 * that switching back is instant: in the order of parking, and at most as many as the caller allows, the
 * least recently parked handed back to be released first.
 */
export class ParkedModels<T> {
  private readonly items = new Map<string, T>();

  /** Parks `item` as the most recent; returns those beyond `capacity` (the oldest), no longer held, for the caller to release. */
  park(modelId: string, item: T, capacity: number): [string, T][] {
    // Deleted first, so the Map's order is the order of parking.
    this.items.delete(modelId);
    this.items.set(modelId, item);
    const evicted = [...this.items].slice(0, Math.max(0, this.items.size - capacity));
    for (const [oldId] of evicted) this.items.delete(oldId);
    return evicted;
  }

  get(modelId: string): T | undefined {
    return this.items.get(modelId);
  }

  /** Removes and returns the model's item (switched back to, or released). */
  take(modelId: string): T | undefined {
    const item = this.items.get(modelId);
    this.items.delete(modelId);
    return item;
  }

  /** Least recently parked first. */
  modelIds(): string[] {
    return [...this.items.keys()];
  }

  /** Removes and returns every item (at shutdown, or when they died with their worker). */
  drain(): T[] {
    const items = [...this.items.values()];
    this.items.clear();
    return items;
  }
}
