import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../http/auth.guard';
import { openApiDocument } from '../openapi/openapi.document';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>IM backend API</title></head>
<body><redoc spec-url="/docs/openapi.json"></redoc>
<script src="https://cdn.redoc.ly/redoc/v2.1.5/bundles/redoc.standalone.js"></script>
<noscript>The OpenAPI document is at <a href="/docs/openapi.json">/docs/openapi.json</a>.</noscript></body></html>`;

@Controller('docs')
@Public()
export class DocsController {
  private readonly document = openApiDocument();

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page() {
    return PAGE;
  }

  @Get('openapi.json')
  json() {
    return this.document;
  }
}
