/**
 * Things created one at a time under a name, for others to wait for: `find` returns one already
 * there, `get` promises one whether or not it is there yet. Pure; the targets keep their agents'
 * containers or Deployments in one, the rehearsal its agents' outcomes.
 */
export class Directory<T> {
  private readonly done = new Map<string, T>();
  private readonly pending = new Map<
    string,
    { promise: Promise<T>; resolve: (value: T) => void }
  >();

  /** The entry, if already set. */
  find(name: string): T | undefined {
    return this.done.get(name);
  }

  /** The entry, once set. */
  get(name: string): Promise<T> {
    const done = this.done.get(name);
    return done === undefined ? this.waitFor(name).promise : Promise.resolve(done);
  }

  set(name: string, value: T): void {
    this.done.set(name, value);
    this.waitFor(name).resolve(value);
  }

  private waitFor(name: string) {
    let entry = this.pending.get(name);
    if (!entry) {
      let resolve!: (value: T) => void;
      const promise = new Promise<T>((r) => (resolve = r));
      entry = { promise, resolve };
      this.pending.set(name, entry);
    }
    return entry;
  }
}
