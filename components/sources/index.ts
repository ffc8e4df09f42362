export * from "./image-source";
export * from "./image-ref";
export { DockerImageSource } from "./docker-image-source";
export { applyLayers, applyLayer, uncompressedLayer, type LayerBlob } from "./layer-apply";
export { SavedImage } from "./saved-image";
