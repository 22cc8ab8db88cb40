/**
 * Items to visit once, later, all together: however many are added before the visit, one
 * timer (or immediate) runs it. The core uses it for the end of a turn's writes and for
 * presence notices that wait a moment.
 */
export class Later<T> {
  #items: T[] = [];
  #scheduled = false;

  constructor(
    private readonly schedule: (run: () => void) => void,
    private readonly visit: (item: T) => void,
  ) {}

  add(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.schedule(() => {
      this.#scheduled = false;
      const items = this.#items;
      this.#items = [];
      for (const each of items) this.visit(each);
    });
  }
}
