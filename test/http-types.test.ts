import type { RequestHandler } from 'express';
import type { FastifyPluginCallback } from 'fastify';
import type { Decision } from 'geoadmit';
import { admissionMiddleware, type FastifyAdmissionOptions, fastifyAdmission, type GeoadmitVariables, honoAdmission } from 'geoadmit/http';
import type { MiddlewareHandler } from 'hono';
import { createTestGate } from 'geoadmit/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';

// A real gate: the adapters check their arguments when they are created.
const { gate } = createTestGate();

describe('adapter types against the real frameworks', () => {
  it('fit where each framework expects them, with no framework import in geoadmit/http', () => {
    const express = admissionMiddleware(gate, { join: (req) => ({ meetingId: req.params.id, participantId: 'p' }) });
    expectTypeOf(express).toMatchTypeOf<RequestHandler>();
    expectTypeOf(fastifyAdmission).toMatchTypeOf<FastifyPluginCallback<FastifyAdmissionOptions>>();
    const hono = honoAdmission(gate, { join: (c) => ({ meetingId: c.req.param('id'), participantId: 'p' }) });
    expectTypeOf(hono).toMatchTypeOf<MiddlewareHandler<{ Variables: GeoadmitVariables }>>();
    // Express users see req.geoadmit typed on express's own Request.
    expectTypeOf<import('express').Request['geoadmit']>().toEqualTypeOf<Decision | undefined>();
    // @ts-expect-error join is required (and refused at run time too)
    expect(() => admissionMiddleware(gate, {})).toThrow(/join must be a function/);
  });
});
