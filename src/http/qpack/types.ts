/** A field line: lower-case name (pseudo-headers like ':path' included) and value. */
export type FieldLine = [name: string, value: string];
