/**
 * Input the service cannot use (a broken image, a box outside it): the exception filter answers with
 * `status` and the message as it is, so messages must not carry server paths or internals.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 | 422 = 422,
  ) {
    super(message);
  }
}
