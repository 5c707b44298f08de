import type { ReportFigures } from '../types.js';
import type { Category, Owner } from './decode.js';
import type { DistinctCounter } from './distinct.js';
import { type Period, WINDOW } from './tallies.js';

/** A group's figures for one period, with the distinct meetings still as a counter. */
export interface Figures extends Omit<ReportFigures, 'meetingsAffected' | 'meetingsAffectedEstimated'> {
  meetings: DistinctCounter | undefined;
}

export function emptyFigures(): Figures {
  return {
    restrictionsReceived: 0,
    restrictionsAccepted: 0,
    restrictionsDryRun: 0,
    restrictionsRefused: 0,
    refusals: {},
    restrictionsLifted: 0,
    meetingsUndisturbed: 0,
    joinsDenied: 0,
    joinsDeniedDryRun: 0,
    participantsRemoved: 0,
    removalsPending: 0,
    noticesGiven: 0,
    exemptionsGranted: 0,
    exemptionsRevoked: 0,
    meetings: undefined,
  };
}

/** One group (an authority, a jurisdiction or a whole category): figures per period and for the window. */
export class Group {
  readonly category: Category;
  /** '' for jurisdiction and category groups. */
  readonly authority: string;
  /** '' for category groups. */
  readonly jurisdiction: string;
  /** Authorities speaking for a jurisdiction group. */
  readonly authorities = new Set<string>();
  readonly periods = new Map<Period, Figures>();
  /** Meetings named in the scopes of accepted restrictions. */
  readonly scoped = new Set<string>();
  /** Distinct refusal messages (capped). */
  readonly refusalReasons = new Set<string>();

  constructor(category: Category, authority: string, jurisdiction: string) {
    this.category = category;
    this.authority = authority;
    this.jurisdiction = jurisdiction;
  }

  figures(period: Period): Figures {
    let f = this.periods.get(period);
    if (f === undefined) {
      f = emptyFigures();
      this.periods.set(period, f);
    }
    return f;
  }
}

/** The groups of one category. */
interface CategoryGroups {
  readonly total: Group;
  /** jurisdiction → group */
  readonly jurisdictions: Map<string, Group>;
  /** jurisdiction → authority → group */
  readonly authorities: Map<string, Map<string, Group>>;
}

/** Every group, found by owner: its authority, its jurisdiction and its category. */
export class Groups {
  readonly #categories = new Map<Category, CategoryGroups>();

  #category(category: Category): CategoryGroups {
    let c = this.#categories.get(category);
    if (c === undefined) {
      c = { total: new Group(category, '', ''), jurisdictions: new Map(), authorities: new Map() };
      this.#categories.set(category, c);
    }
    return c;
  }

  /** The three groups an owner's figures count in: its authority, its jurisdiction, its category. */
  of(owner: Owner): [Group, Group, Group] {
    const c = this.#category(owner.category);
    let byAuthority = c.authorities.get(owner.jurisdiction);
    if (byAuthority === undefined) {
      byAuthority = new Map();
      c.authorities.set(owner.jurisdiction, byAuthority);
    }
    let a = byAuthority.get(owner.authority);
    if (a === undefined) {
      a = new Group(owner.category, owner.authority, owner.jurisdiction);
      byAuthority.set(owner.authority, a);
    }
    let j = c.jurisdictions.get(owner.jurisdiction);
    if (j === undefined) {
      j = new Group(owner.category, '', owner.jurisdiction);
      c.jurisdictions.set(owner.jurisdiction, j);
    }
    j.authorities.add(owner.authority);
    return [a, j, c.total];
  }

  /** Apply `change` to the figures of the period and of the window in each of an owner's groups. */
  each(owner: Owner, period: string, change: (f: Figures) => void): Group[] {
    const groups = this.of(owner);
    for (const g of groups) {
      change(g.figures(period));
      change(g.figures(WINDOW));
    }
    return groups;
  }

  /** A category's groups (an empty total when nothing was recorded for it). */
  category(category: Category): { total: Group; jurisdictions: Group[]; authorities: Group[] } {
    const c = this.#categories.get(category);
    if (c === undefined) return { total: new Group(category, '', ''), jurisdictions: [], authorities: [] };
    return {
      total: c.total,
      jurisdictions: [...c.jurisdictions.values()],
      authorities: [...c.authorities.values()].flatMap((m) => [...m.values()]),
    };
  }
}
