import type { z } from 'zod';
import { prettifyError } from 'zod';
import { fail, type Ack } from '../../shared/protocol/errors.ts';

/** A zod failure as a bad_request ack: the message says which field is wrong, briefly. */
export function badRequest(error: z.ZodError): Ack<never> {
  return fail('bad_request', prettifyError(error).slice(0, 500));
}
