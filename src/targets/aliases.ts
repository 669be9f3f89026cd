import * as pulumi from "@pulumi/pulumi";

/**
 * For the resources that sat at the stack root before the fleet components existed: the alias
 * keeps their URNs, and the engine derives their children's from it, so a stack deployed before
 * sees no replacement.
 */
export const FORMERLY_AT_STACK_ROOT: pulumi.Alias[] = [{ parent: pulumi.rootStackResource }];
