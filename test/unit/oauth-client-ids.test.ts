import { clientIdProblem, clientSecretProblem } from '../../gateway/src/auth/tokens';

describe('OAuth client ids and secrets a tenant chooses', () => {
  it.each(['my_client', 'abc', 'Track360.acme-prod_1', 'cli_01JQ0000000000000000000000', 'x'.repeat(100)])('accepts the client_id %p', (id) => {
    expect(clientIdProblem(id)).toBeNull();
  });

  it.each(['ab', '', 'x'.repeat(101), 'my client', 'my/client', 'client:1', 'clïent', 'key_01JQ', 'a\nb'])('refuses the client_id %p, saying what is allowed', (id) => {
    expect(clientIdProblem(id)).toMatch(/^client_id must be 3-100 characters of A-Z a-z 0-9 _ \. -, not starting with key_; got "/);
  });

  it('accepts secrets of 24-256 printable ASCII characters, colons and percents included', () => {
    for (const secret of ['a'.repeat(24), 'x'.repeat(256), 't360:abc%41+/=~!@#$^&*()_0123']) expect(clientSecretProblem(secret)).toBeNull();
  });

  it('refuses short, long or spaced secrets without ever echoing them', () => {
    for (const secret of ['short-secret', 'y'.repeat(257), 'a secret with spaces in it 123', 'tab\tseparated-secret-0123456789']) {
      const problem = clientSecretProblem(secret);
      expect(problem).toMatch(/^client_secret must be 24-256 printable ASCII characters without spaces; got \d+ characters/);
      expect(problem).not.toContain(secret);
    }
  });
});
