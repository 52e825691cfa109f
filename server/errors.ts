// The lab's coded errors: one table, each with its HTTP status. Sent as ApiError JSON.
import createError from '@fastify/error';

export const Errors = {
  UNAUTHORIZED: createError('LUX_UNAUTHORIZED', 'access token missing or wrong: open the URL the lab printed (with ?token=…)', 401),
  FORBIDDEN: createError('LUX_FORBIDDEN', 'a workshop participant cannot use this', 403),
  REVOKED: createError('LUX_REVOKED', 'this workshop has ended: its links no longer work', 401),
  NO_WORKSHOP: createError('LUX_NO_WORKSHOP', 'this lab is not in workshop mode', 404),
  BAD_HOST: createError('LUX_BAD_HOST', 'Host %s is not served by this lab', 421),
  BAD_ORIGIN: createError('LUX_BAD_ORIGIN', 'cross-origin request refused (Origin %s)', 403),
  NO_CHALLENGE: createError('LUX_NO_CHALLENGE', 'unknown challenge "%s"', 404),
  NO_STAGE: createError('LUX_NO_STAGE', 'unknown stage "%s"', 404),
  NO_RESULT: createError('LUX_NO_RESULT', 'challenge "%s" has not been checked yet', 404),
  NO_TERMINAL: createError('LUX_NO_TERMINAL', 'no terminal session "%s"', 404),
  BAD_CGROUP_PATH: createError('LUX_BAD_CGROUP_PATH', '%s', 400),
  NO_CGROUP: createError('LUX_NO_CGROUP', '%s', 404),
  NO_CGROUP2: createError('LUX_NO_CGROUP2', '%s', 503),
};
