/**
 * geoadmit/livekit — live removal from LiveKit (docs/integrating.md): an `onRemove` over
 * `RoomServiceClient.removeParticipant`.
 */
export { livekitRemover, type LiveKitOnRemove, type LiveKitRemoverOptions, type LiveKitRoomService } from './remover.js';
