import type { ContainerInputs, RehearsalAgent } from "../../src/rehearse/specs";

/** A critical agent of wave 1, as the rehearsal reads it from the program, with these inputs. */
export const rehearsalAgent = (
  name: string,
  dependsOn: string[],
  inputs: ContainerInputs,
): RehearsalAgent => ({
  name,
  resource: name,
  group: "g",
  wave: 1,
  critical: true,
  dependsOn,
  inputs,
});
