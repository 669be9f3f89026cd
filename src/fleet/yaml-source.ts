import {
  constructFromEvents,
  CORE_SCHEMA,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  YAMLException,
  type Event,
  type ScalarEvent,
} from "js-yaml";
import type { z } from "zod";
import { escapeUnprintable, formatFieldPath, quote, type Problem } from "./problems";

/**
 * Deepest nesting of mappings and sequences read: a fleet file needs about eight levels. Deeper
 * input is refused by the parser at once, which keeps every later walk shallow.
 */
const MAX_DEPTH = 64;
/**
 * Values aliases may add to a file (`*hc` counts every value under `&hc`), beyond two per
 * event of the file itself. Hundreds of agents sharing one `health_check: *hc` stay far below;
 * an alias bomb ("billion laughs") goes past it within a few lines.
 */
const ALIAS_ALLOWANCE = 20_000;

/** Where a value starts in the file, with its entries (by key or index) when it is a collection. */
interface Located {
  offset: number;
  children?: Map<string | number, Located>;
  keyOffsets?: Map<string, number>;
}

/** A YAML file read with js-yaml's event parser, kept with positions for file:line:col messages. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly root: Located | undefined,
    private readonly lines: LineIndex,
  ) {}

  /**
   * Reads `text` (`what`: "fleet file", for messages). Returns the source, or every problem
   * found before a value could be built (syntax, aliases, duplicate keys, an empty file), as
   * positioned lines. Linear in the size of the text, whatever it holds.
   */
  static parse(text: string, file: string, what: string): YamlSource | string[] {
    const lines = new LineIndex(text);
    const at = (offset: number, message: string) =>
      `${escapeUnprintable(file)}:${lines.position(offset)}: ${escapeUnprintable(message)}`;
    let events: Event[];
    try {
      events = parseEvents(text, { maxDepth: MAX_DEPTH });
    } catch (error) {
      return [at(errorOffset(error, text), syntaxMessage(error))];
    }
    const walk = new EventWalk(text, events, (offset) => lines.position(offset));
    if (walk.problems.length > 0)
      return walk.problems.map(({ offset, message }) => at(offset, message));
    let value: unknown;
    try {
      value = constructFromEvents(events, { source: text, schema: CORE_SCHEMA })[0];
    } catch (error) {
      return [at(errorOffset(error, text), syntaxMessage(error))];
    }
    if (value === null || value === undefined) {
      return [
        at(
          0,
          `the ${what} is empty (nothing but blank lines or comments); write its settings, or give the right file`,
        ),
      ];
    }
    return new YamlSource(file, value, walk.root, lines);
  }

  /** Every problem as "file:line:col: field.path: message", in file order, one line each. */
  format(problems: Problem[]): string[] {
    const file = escapeUnprintable(this.file);
    return problems
      .map((problem) => {
        const offset = this.offsetOf(problem);
        const field = problem.path.length ? `${formatFieldPath(problem.path)}: ` : "";
        return {
          offset,
          text: `${file}:${this.lines.position(offset)}: ${field}${escapeUnprintable(problem.message)}`,
        };
      })
      .sort((a, b) => a.offset - b.offset)
      .map((line) => line.text);
  }

  /** The value at the path (its key, for `atKey`), or the closest existing ancestor. */
  private offsetOf({ path, atKey }: Problem): number {
    if (!this.root) return 0;
    let node: Located = this.root;
    for (let depth = 0; depth < path.length; depth++) {
      const key = path[depth];
      if (atKey && depth === path.length - 1) {
        const keyOffset = node.keyOffsets?.get(String(key));
        if (keyOffset !== undefined) return keyOffset;
      }
      const child: Located | undefined = node.children?.get(node.keyOffsets ? String(key) : key);
      if (!child) break;
      node = child;
    }
    return node.offset;
  }
}

/** zod issues as problems; an unknown or invalid key is reported at the key itself. */
export function zodProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = issue.path.filter((key) => typeof key !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key ${quote(key)}; remove it or check its spelling`,
        atKey: true,
      }));
    }
    if (issue.code === "invalid_key") {
      const [reason] = issue.issues.map((inner) => inner.message);
      return [{ path, message: reason ?? issue.message, atKey: true }];
    }
    return [{ path, message: issue.message }];
  });
}

/** Offsets of line starts, for offset -> "line:col" (both 1-based). */
class LineIndex {
  private readonly starts = [0];

  constructor(text: string) {
    const breaks = /\r\n|\r|\n/g;
    for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
      this.starts.push(match.index + match[0].length);
    }
  }

  position(offset: number): string {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return `${low + 1}:${offset - this.starts[low] + 1}`;
  }
}

interface Frame {
  node: Located;
  kind: "mapping" | "sequence" | "document";
  anchor?: string;
  /** Values under this node once aliases are expanded, itself included. */
  size: number;
  /** Mapping: the key just read, awaiting its value; undefined while a key is expected. */
  key?: { name: string | undefined; offset: number };
  /** Mapping: keys seen, for duplicates. */
  seen?: Map<string, number>;
  /** A collection used as a key: it gets no place in the index. */
  isKey?: boolean;
}

/**
 * One pass over js-yaml's events: builds the position index and refuses what js-yaml would
 * accept but the loader must not: aliases without an anchor or inside their own anchor, alias
 * expansion past the allowance, duplicate or non-scalar keys, tags, a second document.
 */
class EventWalk {
  readonly problems: { offset: number; message: string }[] = [];
  root: Located | undefined;
  private readonly stack: Frame[] = [];
  private readonly anchors = new Map<string, { size: number; open: boolean }>();
  private expanded = 0;
  private readonly allowance: number;
  private documents = 0;

  constructor(
    private readonly text: string,
    events: Event[],
    private readonly position: (offset: number) => string,
  ) {
    this.allowance = ALIAS_ALLOWANCE + 2 * events.length;
    for (const event of events) {
      if (!this.step(event)) break;
    }
  }

  /** Handles one event; false stops the walk (a problem that makes the rest meaningless). */
  private step(event: Event): boolean {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        this.documents++;
        this.stack.push({ node: { offset: 0 }, kind: "document", size: 0 });
        return true;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const kind = event.type === EVENT_ID.MAPPING ? "mapping" : "sequence";
        const node: Located =
          kind === "mapping"
            ? { offset: event.start, children: new Map(), keyOffsets: new Map() }
            : { offset: event.start, children: new Map() };
        if (!this.checkNode(event.start, event.tagStart)) return false;
        const isKey = this.expectsKey();
        if (isKey)
          this.problem(
            event.start,
            "a key must be a plain name, not a list or mapping; write it as a name",
          );
        else this.place(node);
        this.stack.push({
          node,
          kind,
          anchor: this.anchorName(event.anchorStart, event.anchorEnd),
          size: 1,
          seen: kind === "mapping" ? new Map() : undefined,
          isKey,
        });
        return this.count(1, event.start);
      }
      case EVENT_ID.SCALAR:
        return this.scalar(event);
      case EVENT_ID.ALIAS:
        return this.alias(event.anchorStart, event.anchorEnd);
      case EVENT_ID.POP:
        this.pop();
        return true;
    }
    return true;
  }

  private scalar(event: ScalarEvent): boolean {
    // An empty second document ("---" at the end) holds nothing to refuse.
    if (this.documents > 1 && event.valueStart < 0) return true;
    const offset = scalarOffset(event, this.lastOffset());
    if (!this.checkNode(offset, event.tagStart)) return false;
    const anchor = this.anchorName(event.anchorStart, event.anchorEnd);
    if (anchor !== undefined) this.anchors.set(anchor, { size: 1, open: false });
    this.add(1);
    if (this.expectsKey()) {
      this.takeKey(getScalarValue(this.text, event), offset);
    } else {
      this.place({ offset });
    }
    return this.count(1, offset);
  }

  private alias(anchorStart: number, anchorEnd: number): boolean {
    const name = this.text.slice(anchorStart, anchorEnd);
    const offset = Math.max(0, anchorStart - 1);
    const anchor = this.anchors.get(name);
    if (!anchor) {
      this.problem(
        offset,
        `alias *${name} has no anchor &${name} before it; define the anchor first, or write the value out`,
      );
      return false;
    }
    if (anchor.open) {
      this.problem(
        offset,
        `alias *${name} is inside its own anchor &${name}, which would make the value contain itself; write the value out`,
      );
      return false;
    }
    if (this.expectsKey()) {
      this.problem(offset, `a key must be a plain name, not the alias *${name}; write the name`);
      this.takeKey(undefined, offset);
    } else {
      this.place({ offset });
    }
    this.add(anchor.size);
    return this.count(anchor.size, offset);
  }

  private pop(): void {
    const frame = this.stack.pop()!;
    if (frame.kind === "document") {
      if (this.documents === 1) this.root = frame.node.children?.get(0);
      return;
    }
    if (frame.anchor !== undefined)
      this.anchors.set(frame.anchor, { size: frame.size, open: false });
    if (frame.isKey) this.takeKey(undefined, frame.node.offset);
    this.add(frame.size);
  }

  /** Adds a finished value's size to the collection it belongs to. */
  private add(size: number): void {
    const parent = this.stack[this.stack.length - 1];
    if (parent && parent.kind !== "document") parent.size += size;
  }

  /** Counts values read, aliases expanded; past the allowance the file is refused at `offset`. */
  private count(values: number, offset: number): boolean {
    this.expanded += values;
    if (this.expanded <= this.allowance) return true;
    this.problem(
      offset,
      `aliases here expand the file past ${this.allowance} values (an alias bomb); write the repeated part once, as a health template (health_templates), instead of nesting aliases`,
    );
    return false;
  }

  /** Tags and a second document are refused; a tag at `tagStart` >= 0. */
  private checkNode(offset: number, tagStart: number): boolean {
    if (this.documents > 1) {
      this.problem(
        offset,
        "a second YAML document (after ---); a file holds one: remove the --- line or move the rest to its own file",
      );
      return false;
    }
    if (tagStart >= 0) {
      this.problem(
        tagStart,
        "YAML tags (such as !!str) are not used here; remove the tag, and quote the value if it must stay text",
      );
      return false;
    }
    return true;
  }

  private anchorName(start: number, end: number): string | undefined {
    if (start < 0) return undefined;
    const name = this.text.slice(start, end);
    this.anchors.set(name, { size: 0, open: true });
    return name;
  }

  private expectsKey(): boolean {
    const parent = this.stack[this.stack.length - 1];
    return parent?.kind === "mapping" && parent.key === undefined;
  }

  private takeKey(name: string | undefined, offset: number): void {
    const parent = this.stack[this.stack.length - 1];
    if (name !== undefined) {
      const first = parent.seen!.get(name);
      if (first !== undefined) {
        this.problem(
          offset,
          `duplicate key ${quote(name)} (first at ${this.position(first)}); keep one of them`,
        );
      } else {
        parent.seen!.set(name, offset);
      }
    }
    parent.key = { name, offset };
  }

  /** Puts a value in the index under the current key or index of its parent. */
  private place(node: Located): void {
    const parent = this.stack[this.stack.length - 1];
    if (!parent || parent.isKey) return;
    if (parent.kind === "mapping") {
      const key = parent.key!;
      parent.key = undefined;
      if (key.name === undefined) return;
      parent.node.keyOffsets!.set(key.name, key.offset);
      parent.node.children!.set(key.name, node);
    } else {
      const children = (parent.node.children ??= new Map());
      children.set(children.size, node);
    }
  }

  private lastOffset(): number {
    const parent = this.stack[this.stack.length - 1];
    return parent?.key?.offset ?? parent?.node.offset ?? 0;
  }

  private problem(offset: number, message: string): void {
    this.problems.push({ offset, message });
  }
}

/** A scalar's offset: its opening quote when quoted; empty scalars have none, so `fallback`. */
function scalarOffset(event: ScalarEvent, fallback: number): number {
  if (event.valueStart < 0) return fallback;
  const quoted =
    event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
  return quoted ? event.valueStart - 1 : event.valueStart;
}

function errorOffset(error: unknown, text: string): number {
  const position = error instanceof YAMLException ? error.mark?.position : undefined;
  return Math.min(Math.max(position ?? 0, 0), text.length);
}

function syntaxMessage(error: unknown): string {
  if (!(error instanceof YAMLException)) return `cannot read this YAML: ${String(error)}`;
  if (/maxDepth/.test(error.reason)) {
    return `nested more than ${MAX_DEPTH} levels deep; a fleet needs a handful: look for an unclosed [ or { or a runaway indentation`;
  }
  return `${error.reason}; fix the YAML here (indentation, quotes, brackets)`;
}
