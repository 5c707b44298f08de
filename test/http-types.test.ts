import type { RequestHandler } from 'express';
import type { FastifyPluginCallback } from 'fastify';
import type { Decision, Gate } from 'geoadmit';
import { admissionMiddleware, type FastifyAdmissionOptions, fastifyAdmission, type GeoadmitVariables, honoAdmission } from 'geoadmit/http';
import type { MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';

const gate = undefined as unknown as Gate;

describe('adapter types against the real frameworks', () => {
  it('fit where each framework expects them, with no framework import in geoadmit/http', () => {
    const express = admissionMiddleware(gate, { join: (req) => ({ meetingId: req.params.id, participantId: 'p' }) });
    expectTypeOf(express).toMatchTypeOf<RequestHandler>();
    expectTypeOf(fastifyAdmission).toMatchTypeOf<FastifyPluginCallback<FastifyAdmissionOptions>>();
    const hono = honoAdmission(gate, { join: (c) => ({ meetingId: c.req.param('id'), participantId: 'p' }) });
    expectTypeOf(hono).toMatchTypeOf<MiddlewareHandler<{ Variables: GeoadmitVariables }>>();
    // Express users see req.geoadmit typed on express's own Request.
    expectTypeOf<import('express').Request['geoadmit']>().toEqualTypeOf<Decision | undefined>();
    // @ts-expect-error join is required
    admissionMiddleware(gate, {});
  });
});
