/** The names of the built-in baselines (zoo.ts builds them): a leaf without tfjs, so a command's flags can list them
 * before tfjs loads. */
export const BUILTIN_MODELS = ['lenet5', 'mlp', 'mobilenet-tiny'] as const;
export type BuiltinModel = (typeof BUILTIN_MODELS)[number];

export function isBuiltinModel(name: string): name is BuiltinModel {
  return (BUILTIN_MODELS as readonly string[]).includes(name);
}
