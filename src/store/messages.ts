/**
 * Words every store uses for the same event, in one place so that the
 * stores cannot drift apart (the contract and differential tests compare
 * their errors and records).
 */

import { InvalidStateError } from "../core/errors.ts";

/** The error recorded on a job that stalled more than maxStalls times. */
export const STALLED_MESSAGE = "stalled too many times: its worker stopped renewing the lease (killed, crashed or hung)";

/** A retried job would become a second live holder of its unique key. */
export function uniqueTaken(id: string, key: string, holder: string): InvalidStateError {
  return new InvalidStateError(`job ${id} cannot be retried: job ${holder} with the same unique key "${key}" is pending or running`);
}
