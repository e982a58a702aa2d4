import { resumeRequest, startAfter } from './resume-point';

describe('where a stream resumes', () => {
  const bounds = { first_seq: 10, last_seq: 50 };

  it('reads Last-Event-ID (header first, then the query) and calls anything else malformed', () => {
    expect(resumeRequest(undefined, undefined)).toEqual({ kind: 'fresh' });
    expect(resumeRequest('12', '40')).toEqual({ kind: 'after', seq: 12 });
    expect(resumeRequest(undefined, '40')).toEqual({ kind: 'after', seq: 40 });
    for (const bad of ['abc', '-1', '1.5', '1e3', '9'.repeat(30)]) expect(resumeRequest(bad, undefined)).toEqual({ kind: 'malformed' });
  });

  it('replays from a stored id, and resyncs from an unknown, aged-out or malformed one', () => {
    expect(startAfter({ kind: 'fresh' }, bounds)).toEqual({ after: 50 });
    expect(startAfter({ kind: 'after', seq: 9 }, bounds)).toEqual({ after: 9 });
    expect(startAfter({ kind: 'after', seq: 50 }, bounds)).toEqual({ after: 50 });
    expect(startAfter({ kind: 'after', seq: 51 }, bounds)).toEqual({ after: 50, resync: 'unknown' });
    expect(startAfter({ kind: 'after', seq: 8 }, bounds)).toEqual({ after: 50, resync: 'too_old' });
    expect(startAfter({ kind: 'malformed' }, bounds)).toEqual({ after: 50, resync: 'malformed' });
    expect(startAfter({ kind: 'after', seq: 0 }, { first_seq: 0, last_seq: 0 })).toEqual({ after: 0 });
  });
});
