import { z } from 'zod';
import type { ServiceName } from '../subjects';

export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  service: ServiceName;
  version: number;
  schema: S;
  description: string;
}

export function define<S extends z.ZodType>(service: ServiceName, version: number, schema: S, description: string): EventDefinition<S> {
  return { service, version, schema, description };
}

