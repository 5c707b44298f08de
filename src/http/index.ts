/**
 * geoadmit/http — request adapters and middleware (docs/integrating.md): build a join
 * from a Node or Fetch API request, and admit requests in Express / Connect,
 * Fastify and Hono. No runtime dependency on any framework: each adapter
 * speaks to its framework structurally.
 */
export {
  joinFromRequest,
  type ApplicationFields,
  type FetchRequestLike,
  type JoinIds,
  type JoinIdsResult,
  type JoinRequestIds,
  type NodeRequestLike,
} from './join.js';
export { denialResponse, type DeniedBody, type DenialResponse, type UnavailableBody } from './deny.js';
export {
  admissionMiddleware,
  type AdmissionMiddleware,
  type AdmissionMiddlewareOptions,
  type ExpressLikeRequest,
  type NodeResponseLike,
} from './express.js';
export {
  fastifyAdmission,
  fastifyAdmissionHook,
  type FastifyAdmissionHook,
  type FastifyAdmissionOptions,
  type FastifyInstanceLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify.js';
export {
  honoAdmission,
  type GeoadmitVariables,
  type HonoAdmissionMiddleware,
  type HonoAdmissionOptions,
  type HonoContextLike,
} from './hono.js';
