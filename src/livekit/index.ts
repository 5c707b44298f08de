/**
 * geoadmit/livekit — live removal from LiveKit (SPEC 14): an `onRemove` over
 * `RoomServiceClient.removeParticipant`.
 */
export { livekitRemover, type LiveKitOnRemove, type LiveKitRemoverOptions, type LiveKitRoomService } from './remover.js';
