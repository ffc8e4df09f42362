/** The parts of DMTF Redfish resources this package reads (schema names kept). */

export interface ODataLink {
  "@odata.id": string;
}

export interface RedfishCollection {
  Members?: ODataLink[];
}

export type PowerState = "On" | "Off" | "PoweringOn" | "PoweringOff" | "Paused";

/** ComputerSystem.ResetType values this package sends. */
export type ResetType = "On" | "ForceOff" | "GracefulShutdown" | "ForceRestart" | "GracefulRestart";

/** BootSourceOverrideTarget values this package sends. */
export type BootTarget = "Cd" | "Pxe" | "UefiHttp" | "Hdd";

export interface ComputerSystem {
  "@odata.id": string;
  Id?: string;
  Name?: string;
  PowerState?: PowerState;
  Boot?: {
    BootSourceOverrideTarget?: string;
    BootSourceOverrideEnabled?: string;
    BootSourceOverrideMode?: string;
    "BootSourceOverrideTarget@Redfish.AllowableValues"?: string[];
    HttpBootUri?: string;
  };
  Actions?: {
    "#ComputerSystem.Reset"?: {
      target?: string;
      "ResetType@Redfish.AllowableValues"?: string[];
    };
  };
  VirtualMedia?: ODataLink;
  Links?: { ManagedBy?: ODataLink[] };
}

export interface Manager {
  "@odata.id": string;
  VirtualMedia?: ODataLink;
}

export interface VirtualMedia {
  "@odata.id": string;
  Id?: string;
  MediaTypes?: string[];
  Image?: string | null;
  Inserted?: boolean;
  Actions?: {
    "#VirtualMedia.InsertMedia"?: { target?: string };
    "#VirtualMedia.EjectMedia"?: { target?: string };
  };
}
