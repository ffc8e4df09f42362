export * from "./image-source";
export * from "./image-ref";
export { DockerImageSource } from "./docker-image-source";
