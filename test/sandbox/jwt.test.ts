import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { claimsFor, findIdentity, TOKEN_LIFETIME_SECONDS, tokenFor } from '../../sandbox/identities.js';
import { flattenClaims, SANDBOX_AUDIENCE, SANDBOX_ISSUER, signJwt, verifyJwt } from '../../sandbox/jwt.js';

const SECRET = 'jwt-test-secret';
const options = { issuer: SANDBOX_ISSUER, audience: SANDBOX_AUDIENCE };

function alice() {
  const identity = findIdentity('alice');
  if (!identity) throw new Error('no alice');
  return identity;
}

describe('sandbox JWTs (jose), checked as API Gateway’s JWT authorizer checks them', () => {
  it('verifies its own tokens: the claims come back, roles as an array', async () => {
    const token = await tokenFor('alice', SECRET);
    expect(token.split('.')).toHaveLength(3);
    await expect(verifyJwt(token, SECRET, options)).resolves.toMatchObject({
      iss: SANDBOX_ISSUER,
      aud: SANDBOX_AUDIENCE,
      sub: 'alice',
      'switchyard:roles': ['operator'],
    });
    const claims = await verifyJwt(token, SECRET, options);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(TOKEN_LIFETIME_SECONDS);
  });

  it('refuses tampered, foreign, alg-none, malformed and RS256-claiming tokens, saying why', async () => {
    // Prepare
    const token = await tokenFor('alice', SECRET);
    const [head, body, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...claimsFor(alice()), 'switchyard:roles': ['approver'] }),
    ).toString('base64url');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${body}.`;
    const rs256 = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${body}.${signature}`;

    // Act / Assess
    await expect(verifyJwt(token, 'another-secret', options)).rejects.toThrow(/^bad signature$/);
    await expect(verifyJwt(`${head}.${forged}.${signature}`, SECRET, options)).rejects.toThrow(
      /^bad signature$/,
    );
    await expect(verifyJwt(none, SECRET, options)).rejects.toThrow(
      /^algorithm none refused, expected HS256$/,
    );
    await expect(verifyJwt(rs256, SECRET, options)).rejects.toThrow(/^algorithm RS256 refused/);
    await expect(verifyJwt('a.b', SECRET, options)).rejects.toThrow(
      /^malformed token: 2 part\(s\), expected 3/,
    );
    await expect(verifyJwt('%%.%%.%%', SECRET, options)).rejects.toThrow(/^malformed header/);
    await expect(verifyJwt('', SECRET, options)).rejects.toThrow(/^malformed/);
  });

  it('checks exp (required, in the future), nbf and iat (not in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenFor('alice', SECRET, Date.now() - (TOKEN_LIFETIME_SECONDS + 60) * 1000);
    await expect(verifyJwt(expired, SECRET, options)).rejects.toThrow(/^expired at \d{4}-/);
    // exp is checked against the caller's clock when given.
    const fresh = await tokenFor('alice', SECRET);
    await expect(
      verifyJwt(fresh, SECRET, { ...options, nowSeconds: now + TOKEN_LIFETIME_SECONDS + 1 }),
    ).rejects.toThrow(/^expired/);
    const { exp: _exp, ...noExp } = claimsFor(alice());
    await expect(verifyJwt(await signJwt(noExp, SECRET), SECRET, options)).rejects.toThrow(/^no exp claim$/);
    await expect(
      verifyJwt(await signJwt({ ...claimsFor(alice()), nbf: now + 600 }, SECRET), SECRET, options),
    ).rejects.toThrow(/^not valid yet \(nbf /);
    await expect(
      verifyJwt(await signJwt({ ...claimsFor(alice()), iat: now + 600 }, SECRET), SECRET, options),
    ).rejects.toThrow(/^issued in the future \(iat /);
    await expect(
      verifyJwt(await signJwt({ ...claimsFor(alice()), exp: 'tomorrow' }, SECRET), SECRET, options),
    ).rejects.toThrow(/exp/);
  });

  it('checks iss, and aud (string or array) or else client_id, as API Gateway does', async () => {
    const sign = (extra: Record<string, unknown>) => signJwt({ ...claimsFor(alice()), ...extra }, SECRET);
    await expect(verifyJwt(await sign({ iss: 'evil' }), SECRET, options)).rejects.toThrow(
      /^issuer "evil" refused, expected switchyard-sandbox$/,
    );
    const { iss: _iss, ...noIss } = claimsFor(alice());
    await expect(verifyJwt(await signJwt(noIss, SECRET), SECRET, options)).rejects.toThrow(/^no iss claim$/);
    await expect(verifyJwt(await sign({ aud: ['other'] }), SECRET, options)).rejects.toThrow(
      /^audience \["other"\] refused, expected switchyard$/,
    );
    await expect(
      verifyJwt(await sign({ aud: ['other', SANDBOX_AUDIENCE] }), SECRET, options),
    ).resolves.toBeDefined();

    const { aud: _aud, ...noAud } = claimsFor(alice());
    await expect(
      verifyJwt(await signJwt({ ...noAud, client_id: SANDBOX_AUDIENCE }, SECRET), SECRET, options),
    ).resolves.toMatchObject({ sub: 'alice' });
    await expect(verifyJwt(await signJwt(noAud, SECRET), SECRET, options)).rejects.toThrow(
      /^audience null refused/,
    );
  });

  it('reads tokens that jose signs for it elsewhere (the same standard, not a private format)', async () => {
    const token = await new SignJWT({ 'switchyard:roles': ['viewer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(SANDBOX_ISSUER)
      .setAudience(SANDBOX_AUDIENCE)
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifyJwt(token, SECRET, options)).resolves.toMatchObject({ sub: 'someone' });
  });

  it('refuses an unknown demo identity by name', async () => {
    await expect(tokenFor('dave', SECRET)).rejects.toThrow(/no sandbox identity dave; expected one of alice/);
  });

  it('flattens claims as API Gateway does: every value a string, arrays as [a b]', () => {
    expect(
      flattenClaims({ sub: 'carol', 'switchyard:roles': ['operator', 'approver'], exp: 5, ok: true }),
    ).toEqual({
      sub: 'carol',
      'switchyard:roles': '[operator approver]',
      exp: '5',
      ok: 'true',
    });
  });
});
