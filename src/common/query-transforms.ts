/** `a,b` or repeated query/form parameters → a list of trimmed strings. */
export const toList = ({ value }: { value: unknown }): string[] | undefined =>
  value === undefined
    ? undefined
    : (Array.isArray(value) ? value : [value])
        .flatMap((v) => String(v).split(','))
        .map((v) => v.trim())
        .filter(Boolean);

/** 'true'/'false' (query strings, form fields) → boolean; anything else is left for the validator to refuse. */
export const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === true ? true : value === 'false' || value === false ? false : value;
