import type ts from 'typescript';

/** The repository root. */
export const root: string;
/** Entry points as users import them, each with its source file. */
export function entries(): { name: string; source: string }[];
/** A program over every entry's source (plus `extraFiles`) with the project's compiler options. */
export function createProgram(extraFiles?: readonly string[], overrides?: ts.CompilerOptions): ts.Program;
/** Every entry's exports with their declaration kinds, sorted by name. */
export function typeSurface(program?: ts.Program): Record<string, Record<string, string>>;
/** Public declarations and members without JSDoc. */
export function docCoverage(program?: ts.Program): {
  total: number;
  documented: number;
  missing: { entry: string; name: string; where: string }[];
};
