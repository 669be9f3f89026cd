/**
 * A small valid fleet: two waves, a template, a staged check, a GPU agent, dependencies. Tests
 * break one thing in it (test/fleet/loader.test.ts counts on its line numbers) or mutate it.
 */
export const VALID_FLEET = `host: testhost
waves:
  - name: wave_1
    window: [0s, 60s]
  - name: wave_2
    window: [60s, 180s]
health_templates:
  lightweight_check:
    type: http
    endpoint: /health
    interval: 10s
groups:
  core:
    wave: wave_1
    critical: true
    agents:
      - name: Registry
        image: cascade/registry
        ports: { service: 7200, health: 8200 }
        health_check:
          type: http
          endpoint: /health
          interval: 5s
      - name: Twin
        image: cascade/twin
        ports: { health: 8220 }
        depends_on: [Registry]
        health_check: { template: lightweight_check }
  engine:
    wave: wave_2
    agents:
      - name: Models
        image: cascade/models
        ports: { health: 8211 }
        depends_on: [Twin]
        gpu: true
        models:
          preload: [phi-2]
          on_demand: [whisper-large-v3]
          cache_strategy: { max_models_in_memory: 2, idle_timeout: 30m }
        health_check:
          type: staged
          stages:
            - { name: startup, endpoint: /health/startup, start_period: 120s, interval: 10s, timeout: 5s }
            - { name: ready, endpoint: /health/ready, interval: 10s, timeout: 5s }
      - name: Late
        image: cascade/late
        ports: { health: 8230 }
        health_check: { template: lightweight_check }
`;
