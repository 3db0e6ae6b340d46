import { SkiffError } from '../util/errors.js';

export class NoSuchContainerError extends SkiffError {
  constructor(nameOrId: string) {
    super('ENOCONTAINER', `no container with name or ID "${nameOrId}" found: no such container`);
  }
}

export class NoSuchImageError extends SkiffError {
  constructor(nameOrId: string) {
    super('ENOIMAGE', `${nameOrId}: image not known`, { hint: 'list local images with `skiff images`, or import one with `skiff import`' });
  }
}

/** The container is in the wrong state for the operation (running for rm, ...). */
export class ContainerStateError extends SkiffError {
  constructor(message: string, hint?: string) {
    super('ESTATE', message, { hint });
  }
}

/** The container could not be started; carries podman's 125/126/127 code. */
export class ContainerStartError extends SkiffError {
  constructor(message: string, readonly exitCode: number) {
    super('ESTART', message);
  }
}
