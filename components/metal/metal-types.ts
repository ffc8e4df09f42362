/** The Metal API v1 (Packet / Equinix Metal) objects this project uses, with the API's field names. */

export interface MetalClientOptions {
  /** API root. Default `https://api.equinix.com/metal/v1` (any Metal-API-compatible service works). */
  apiUrl?: string;
  /** Sent as `X-Auth-Token`; never appears in errors or logs. */
  authToken: string;
  /** Retries on 429, 5xx and connection errors. Defaults: 5 attempts, 1000 ms doubling each time. */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** Longest a single request may take, in ms. Default 60000. */
  requestTimeoutMs?: number;
}

export interface MetalIpAddress {
  address: string;
  public: boolean;
  /** 4 or 6. */
  address_family: number;
}

export interface MetalDevice {
  id: string;
  hostname: string;
  /** `queued`, `provisioning`, `active`, `powering_off`, `powering_on`, `inactive`, `failed`, ... */
  state: string;
  ipxe_script_url?: string;
  always_pxe?: boolean;
  userdata?: string;
  ip_addresses?: MetalIpAddress[];
  plan?: { slug: string };
  metro?: { code: string };
  tags?: string[];
}

/** Body of `POST /projects/{id}/devices` for a custom iPXE machine. */
export interface MetalCreateDeviceRequest {
  hostname?: string;
  /** Plan slug, e.g. `c3.small.x86`. */
  plan: string;
  /** Metro code, e.g. `da`. */
  metro: string;
  operating_system: "custom_ipxe";
  ipxe_script_url: string;
  /** iPXE-boot on every reboot (needed for in-place updates by reboot). */
  always_pxe: boolean;
  userdata?: string;
  tags?: string[];
  /** `hourly` (the API's default), `daily`, `monthly`, `yearly`. */
  billing_cycle?: string;
}

/** Body of `PUT /devices/{id}`. */
export interface MetalUpdateDeviceRequest {
  ipxe_script_url?: string;
  always_pxe?: boolean;
  userdata?: string;
  hostname?: string;
  tags?: string[];
  billing_cycle?: string;
}

/** The device's first public IPv4 address. */
export function publicIpv4(d: MetalDevice): string | undefined {
  return d.ip_addresses?.find((a) => a.public && a.address_family === 4)?.address;
}
