/**
 * geoadmit/ws — WebSocket admission for `ws` servers: upgrades admitted
 * before their socket opens, sockets on the roster while open, removals
 * closing the right socket. No runtime dependency on `ws`: the server is
 * used through its public `handleUpgrade`.
 */
export {
  wsAdmission,
  WsCloseCode,
  type WebSocketLike,
  type WebSocketServerLike,
  type WsAdmission,
  type WsAdmissionOptions,
  type WsUpgradeRequest,
} from './admission.js';
export { MAX_CLOSE_REASON_BYTES } from './internal/close-reason.js';
