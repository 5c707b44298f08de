import { describe, expectTypeOf, it } from 'vitest';
import { createJsonlAuditSink, verifyAuditLog } from 'geoadmit/audit';
import type { AuditProblem, AuditSinkStats, AuditVerification, JsonlAuditSink } from 'geoadmit/audit';
import type { AuditEventSource, ErrorEvent } from 'geoadmit/audit';
import { buildTransparencyReport, renderReportHtml } from 'geoadmit/report';
import type { TransparencyReport } from 'geoadmit/report';

describe('audit and report public types', () => {
  it('has the documented signatures', () => {
    expectTypeOf(createJsonlAuditSink).returns.toEqualTypeOf<JsonlAuditSink>();
    expectTypeOf<JsonlAuditSink['attach']>().parameter(0).toEqualTypeOf<AuditEventSource>();
    expectTypeOf<JsonlAuditSink['attach']>().returns.toEqualTypeOf<() => void>();
    expectTypeOf<JsonlAuditSink['stats']>().returns.toEqualTypeOf<AuditSinkStats>();
    expectTypeOf(verifyAuditLog).returns.resolves.toEqualTypeOf<AuditVerification>();
    expectTypeOf<AuditVerification['problem']>().toEqualTypeOf<AuditProblem | undefined>();
    expectTypeOf(buildTransparencyReport).returns.resolves.toEqualTypeOf<TransparencyReport>();
    expectTypeOf(renderReportHtml).parameter(0).toEqualTypeOf<TransparencyReport>();
    expectTypeOf<TransparencyReport['schemaVersion']>().toEqualTypeOf<1>();
  });

  it('types the sink events and rejects unknown ones', () => {
    const sink = {} as JsonlAuditSink;
    const typed = () => sink.on('error', (e) => expectTypeOf(e).toEqualTypeOf<ErrorEvent>());
    // @ts-expect-error: not a sink event
    const unknown = () => sink.on('decision', () => undefined);
    // @ts-expect-error: fsync modes are a closed set
    const badOption = () => createJsonlAuditSink('x', { fsync: 'sometimes' });
    expectTypeOf(typed).toBeFunction();
    expectTypeOf(unknown).toBeFunction();
    expectTypeOf(badOption).toBeFunction();
  });
});
