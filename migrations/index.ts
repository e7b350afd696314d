// Every migration, in order. Listed explicitly so the same list works from ts-jest and from dist/.
import { InitialSchema1764200000000 } from './1764200000000-initial-schema';

export const MIGRATIONS = [InitialSchema1764200000000];
