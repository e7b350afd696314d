/** Input that cannot be used for detection; the HTTP layer answers with `status`. */
export class DetectionInputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 | 422 = 422,
  ) {
    super(message);
  }
}
