/**
 * geoadmit/janus — live removal from a Janus VideoRoom (docs/integrating.md): an
 * `onRemove` that kicks through Janus's HTTP API.
 */
export { janusRemover, defaultJanusId, type JanusId, type JanusOnRemove, type JanusRemoverOptions } from './remover.js';
