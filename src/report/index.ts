export { buildTransparencyReport } from './build.js';
export { renderReportHtml, renderReportJson, renderReportMarkdown } from './render.js';
export type * from './types.js';
