/**
 * `geoadmit/report`: the transparency report. Built from one or more audit
 * logs (`buildTransparencyReport`), rendered as HTML, Markdown or JSON.
 *
 * @module
 */
export { buildTransparencyReport } from './build.js';
export { renderReportHtml, renderReportJson, renderReportMarkdown } from './render.js';
export type * from './types.js';
